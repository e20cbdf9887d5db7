"""Importing bank statements and donation lists (CSV, XLSX)."""
