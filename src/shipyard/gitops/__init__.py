"""shipyard.gitops"""
