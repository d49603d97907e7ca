"""Google Workspace collectors (Admin SDK)."""
