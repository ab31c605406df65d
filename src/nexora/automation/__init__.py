"""Automation: scheduled tasks (cron jobs) that run agents as their owners and deliver results."""
