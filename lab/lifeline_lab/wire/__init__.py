"""The lab's WinRM wire: HTTP, authentication, sealing, WS-Man envelopes, WinRS."""
