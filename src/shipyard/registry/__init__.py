"""shipyard.registry"""
