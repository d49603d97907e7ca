"""Azure collectors: Azure Resource Manager per subscription and Microsoft Graph per tenant,
through one small read-only REST client (client.py) and azure-identity credentials."""
