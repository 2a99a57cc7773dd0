"""shipyard.delivery"""
