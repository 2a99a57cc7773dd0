"""shipyard.web"""
