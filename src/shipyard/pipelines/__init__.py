"""shipyard.pipelines"""
