@echo off
rem Lifeline out-of-band recovery image script (collection lifeline.recovery, role oob_recovery).
rem
rem Built into a WinPE image (docs/oob-image.md: copype, the script as X:\Lifeline\lifeline-oob.cmd,
rem Windows\System32\winpeshl.ini [LaunchApps] starting it, MakeWinPEMedia /ISO) that a server's BMC
rem boots once as virtual media. It uses only cmd.exe and the tools of Windows PE: reg.exe,
rem bcdedit.exe, mountvol.exe and wpeutil.exe (Microsoft Learn: "WinPE: Create bootable media",
rem "Winpeshl.ini Files", "BCDEdit /set", "Reg load", "mountvol").
rem
rem 1. The Windows volume: the first drive letter with \Windows\System32\config\SYSTEM. A volume
rem    BitLocker protects stays locked in a WinPE booted from other media (no TPM release for it, no
rem    recovery password here), so it is not found: then only step 3 runs, and the script says so.
rem 2. SafeBoot\Network, offline: reg load the volume's SYSTEM hive, find the control set
rem    Select\Current names, add WinRM, its documented dependencies (RpcSs, HTTP: sc qc WinRM) and
rem    what Lifeline infers WinRM needs in Safe Mode with Networking (the list of the role
rem    recovery_readiness, its defaults) as services under Control\SafeBoot\Network, reg unload.
rem 3. The Windows loader: bcdedit /store <EFI system partition>\EFI\Microsoft\Boot\BCD /set {default}
rem    safeboot network (the store on the EFI system partition needs no BitLocker key); the partition
rem    is mounted with mountvol /S. Without one (BIOS boot), the system store: bcdedit /set {default}.
rem 4. wpeutil reboot: the BMC's one-time boot is used up, so the server starts from its disk, into
rem    Safe Mode with Networking, where WinRM answers when step 2 ran (or the host was armed before).
rem
rem Not documented by Microsoft, and so to be rehearsed on one real machine first: which services
rem beyond WinRM, RpcSs and HTTP Windows needs for WinRM in Safe Mode with Networking.
setlocal EnableExtensions EnableDelayedExpansion
set "LIFELINE_SERVICES=WinRM RpcSs HTTP BFE MpsSvc KeyIso nsi LanmanWorkstation Netlogon"
set "HIVE=HKLM\LIFELINE_OFFLINE_SYSTEM"
set "OSVOL="
set "RESULT=0"

for %%D in (C D E F G H I J K L M N O P Q R S T U V W Y Z) do (
    if not defined OSVOL if exist "%%D:\Windows\System32\config\SYSTEM" set "OSVOL=%%D:"
)

if not defined OSVOL (
    echo Lifeline: no readable Windows volume ^(BitLocker-locked without a key, or none^): SafeBoot\Network is not changed, only the boot configuration
    set "RESULT=2"
    goto :bcd
)

echo Lifeline: Windows volume %OSVOL%
reg load "%HIVE%" "%OSVOL%\Windows\System32\config\SYSTEM" >nul 2>&1
if errorlevel 1 (
    echo Lifeline: reg load of %OSVOL%\Windows\System32\config\SYSTEM failed: SafeBoot\Network is not changed
    set "RESULT=2"
    goto :bcd
)
set "CURRENT="
for /f "tokens=3" %%V in ('reg query "%HIVE%\Select" /v Current 2^>nul ^| find /i "Current"') do set /a CURRENT=%%V
if not defined CURRENT (
    echo Lifeline: the hive has no Select\Current: SafeBoot\Network is not changed
    set "RESULT=2"
    goto :unload
)
set "CONTROLSET=00!CURRENT!"
set "CONTROLSET=ControlSet!CONTROLSET:~-3!"
for %%S in (%LIFELINE_SERVICES%) do (
    reg add "%HIVE%\!CONTROLSET!\Control\SafeBoot\Network\%%S" /ve /t REG_SZ /d Service /f >nul 2>&1
    if errorlevel 1 (
        echo Lifeline: could not list %%S under !CONTROLSET!\Control\SafeBoot\Network
        set "RESULT=2"
    ) else (
        echo Lifeline: %%S listed under !CONTROLSET!\Control\SafeBoot\Network
    )
)
:unload
reg unload "%HIVE%" >nul 2>&1

:bcd
set "ESP="
for %%L in (S R Q P O N M L K) do (
    if not defined ESP if not exist "%%L:\" set "ESP=%%L:"
)
if defined ESP mountvol %ESP% /S >nul 2>&1
set "STORE="
if defined ESP if exist "%ESP%\EFI\Microsoft\Boot\BCD" set "STORE=%ESP%\EFI\Microsoft\Boot\BCD"
if defined STORE (
    bcdedit /store "%STORE%" /set {default} safeboot network >nul 2>&1
) else (
    bcdedit /set {default} safeboot network >nul 2>&1
)
if errorlevel 1 (
    echo Lifeline: bcdedit could not set safeboot network on the Windows loader: the host restarts as before
    set "RESULT=1"
) else (
    echo Lifeline: safeboot network set on the Windows loader
)
if defined ESP mountvol %ESP% /D >nul 2>&1

if "%RESULT%"=="2" echo Lifeline: Safe Mode with Networking is set, but WinRM answers there only if the host was armed before
wpeutil reboot
exit /b %RESULT%
