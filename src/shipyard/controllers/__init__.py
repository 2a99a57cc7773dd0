"""shipyard.controllers"""
