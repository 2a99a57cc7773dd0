"""The command line: parse, call, render. The only place (with web/) that prints or exits."""
