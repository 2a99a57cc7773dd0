"""Flagger's Canary (flagger.app/v1beta1) on the same analysis and router code: the interval tick state machine
(``FL:pkg/controller/scheduler.go``), builtin NGINX metric queries, MetricTemplate rendering and webhook gates."""
