"""shipyard.supplychain"""
