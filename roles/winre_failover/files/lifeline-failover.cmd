@echo off
rem Lifeline failover for Windows RE (collection lifeline.recovery, role winre_failover).
rem
rem Installed in winre.wim as Windows\System32\Lifeline\failover.cmd and started by the image's
rem Windows\System32\winpeshl.ini [LaunchApps] before recenv.exe, each time Windows RE starts
rem (Microsoft Learn: "Winpeshl.ini Files", "Customize Windows RE"). It uses only cmd.exe and
rem Windows RE's own bcdedit.exe and wpeutil.exe: stock Windows RE has no PowerShell and no WinRM.
rem
rem 1. The marker. bcdedit /create makes a device-options object with Lifeline's fixed identifier in
rem    the system store on the EFI system partition; bcdedit reads and writes that store without the
rem    BitLocker-protected Windows volume being unlocked. /create fails when the object exists: the
rem    failover already ran and Safe Mode with Networking failed as well, so the host stays in
rem    Windows RE for a person (or the out-of-band path) and is never looped forever.
rem 2. Safe Mode with Networking for the Windows loader: bcdedit /set {default} safeboot network.
rem 3. The restart: wpeutil reboot.
rem
rem Lifeline deletes the marker and clears safeboot when it brings the host back to a normal boot
rem (role exit_recovery), which re-arms the failover for the next incident.
rem
rem Not documented by Microsoft, and so to be rehearsed on one real machine first: a program that
rem winpeshl.ini starts cannot tell why Windows RE started (after failed boots, or because a person
rem asked for it); this script acts on every start that finds no marker.
bcdedit /create {07b12ddd-c467-4140-8aab-3313b0711336} /d "Lifeline failover: Safe Mode with Networking tried" /device >nul 2>&1 || exit /b 0
bcdedit /set {default} safeboot network >nul 2>&1 || (bcdedit /delete {07b12ddd-c467-4140-8aab-3313b0711336} >nul 2>&1 & exit /b 1)
wpeutil reboot
