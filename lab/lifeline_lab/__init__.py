"""Lifeline lab: a simulated Windows fleet that speaks real WinRM. Imports nothing from the collection."""
