"""shipyard.vcs"""
