"""Google Cloud collectors: Resource Manager, IAM, Cloud Storage, Cloud Logging, Compute Engine,
Cloud SQL, Cloud KMS, Essential Contacts and BigQuery, per project, through one small read-only
REST client (client.py) on google-auth credentials."""
