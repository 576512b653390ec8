"""CDK stack and constructs. ``workflow_spec`` has no CDK import: the local engine reads it."""
