"""Vulnerabilities: OSV records, per-ecosystem version order, range matching, severity, ignore rules, reports.

report = scan(sbom, VulnDB.at_home(home), today=date.today(), ignore=load_ignore(".shipyardignore"),
              severities=parse_severities("CRITICAL,HIGH"))
report.failed                  # a reported finding remains: the gate trips
to_sarif_json(report)          # SARIF 2.1.0 shaped like Trivy's
"""

from shipyard.supplychain.vuln.cvss import Severity
from shipyard.supplychain.vuln.ignore import IgnoreRule, load_ignore, parse_ignore
from shipyard.supplychain.vuln.matcher import AdvisorySource, Finding, MemoryAdvisories, match
from shipyard.supplychain.vuln.report import table_rows, to_json_dict
from shipyard.supplychain.vuln.sarif import to_sarif_json
from shipyard.supplychain.vuln.scan import ScanReport, parse_severities, scan

__all__ = [
    "AdvisorySource",
    "Finding",
    "IgnoreRule",
    "MemoryAdvisories",
    "ScanReport",
    "Severity",
    "load_ignore",
    "match",
    "parse_ignore",
    "parse_severities",
    "scan",
    "table_rows",
    "to_json_dict",
    "to_sarif_json",
]
