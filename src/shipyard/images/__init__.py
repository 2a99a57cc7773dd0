"""shipyard.images"""
