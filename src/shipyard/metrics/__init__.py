"""shipyard.metrics"""
