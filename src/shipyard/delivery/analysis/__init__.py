"""AnalysisRun semantics: measurement classification, metric and run assessment, scheduling, templates and args."""
