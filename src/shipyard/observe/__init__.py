"""shipyard.observe"""
