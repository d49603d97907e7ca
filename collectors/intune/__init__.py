"""Collectors for devices managed by Microsoft Intune, read through Microsoft Graph."""
