"""shipyard.runtime"""
