"""shipyard.testing"""
