"""Tests of AI Assist."""
