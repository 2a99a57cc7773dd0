"""Tekton Triggers, pure: interceptors, TriggerBinding resolution, TriggerTemplate instantiation.

The HTTP sink that feeds events in and hands created resources to the engine is
``shipyard.controllers.triggers``; nothing here reads the clock, the network or the environment.
"""
