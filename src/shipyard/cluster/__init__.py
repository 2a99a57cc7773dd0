"""shipyard.cluster"""
