@echo off
rem Lifeline out-of-band recovery image script (collection lifeline.recovery, role oob_recovery).
rem
rem Built into a Windows PE image (docs/oob-image.md: copype, this script in boot.wim, winpeshl.ini
rem [LaunchApps] starting it, MakeWinPEMedia /ISO) that a server's BMC boots once as virtual media.
rem It uses only cmd.exe and the tools of Windows PE: reg.exe, bcdedit.exe and wpeutil.exe (Microsoft
rem Learn: "WinPE: Create bootable media", "Winpeshl.ini Files", "Reg load", "BCDEdit /set"). Plain
rem lines only (no FOR, GOTO or CALL), so every step reads on its own.
rem
rem 1. The Windows volume: the first drive letter with \Windows\System32\config\SYSTEM (Windows PE
rem    gives the volumes letters of its own; X: is Windows PE). A volume BitLocker protects stays
rem    locked in a Windows PE booted from other media, so it is not found: then only step 3 runs,
rem    and the script says so.
rem 2. SafeBoot\Network, offline: reg load the volume's SYSTEM hive; in each of ControlSet001 and
rem    ControlSet002 that exists (Select\Current names one of them), list as services under
rem    Control\SafeBoot\Network WinRM, its documented dependencies RpcSs and HTTP (sc qc WinRM) and
rem    what Lifeline infers WinRM needs there (the list of roles/recovery_readiness/defaults/main.yml,
rem    recovery_readiness_safe_mode_network_services; a unit test keeps the two lists equal); reg unload.
rem 3. The Windows loader: bcdedit /set {default} safeboot network, on the system store (on the EFI
rem    system partition, which needs no BitLocker key).
rem 4. wpeutil reboot: the BMC's one-time boot is used up, so the server starts from its disk, into
rem    Safe Mode with Networking, where WinRM answers when step 2 ran (or the host was prepared before).
rem
rem Not documented by Microsoft, and so to be rehearsed on one real machine first: which services
rem beyond WinRM, RpcSs and HTTP Windows needs for WinRM in Safe Mode with Networking.
set RESULT=0
set OSVOL=
set LOADED=
set CS1=
set CS2=
set HIVE=HKLM\LIFELINE_OFFLINE_SYSTEM
if exist C:\Windows\System32\config\SYSTEM set OSVOL=C:
if not defined OSVOL if exist D:\Windows\System32\config\SYSTEM set OSVOL=D:
if not defined OSVOL if exist E:\Windows\System32\config\SYSTEM set OSVOL=E:
if not defined OSVOL if exist F:\Windows\System32\config\SYSTEM set OSVOL=F:
if not defined OSVOL if exist G:\Windows\System32\config\SYSTEM set OSVOL=G:
if not defined OSVOL if exist H:\Windows\System32\config\SYSTEM set OSVOL=H:
if not defined OSVOL if exist I:\Windows\System32\config\SYSTEM set OSVOL=I:
if not defined OSVOL if exist J:\Windows\System32\config\SYSTEM set OSVOL=J:
if not defined OSVOL if exist K:\Windows\System32\config\SYSTEM set OSVOL=K:
if not defined OSVOL if exist L:\Windows\System32\config\SYSTEM set OSVOL=L:
if not defined OSVOL if exist M:\Windows\System32\config\SYSTEM set OSVOL=M:
if not defined OSVOL if exist N:\Windows\System32\config\SYSTEM set OSVOL=N:
if not defined OSVOL if exist O:\Windows\System32\config\SYSTEM set OSVOL=O:
if not defined OSVOL if exist P:\Windows\System32\config\SYSTEM set OSVOL=P:
if not defined OSVOL if exist Q:\Windows\System32\config\SYSTEM set OSVOL=Q:
if not defined OSVOL if exist R:\Windows\System32\config\SYSTEM set OSVOL=R:
if not defined OSVOL if exist S:\Windows\System32\config\SYSTEM set OSVOL=S:
if not defined OSVOL if exist T:\Windows\System32\config\SYSTEM set OSVOL=T:
if not defined OSVOL if exist U:\Windows\System32\config\SYSTEM set OSVOL=U:
if not defined OSVOL if exist V:\Windows\System32\config\SYSTEM set OSVOL=V:
if not defined OSVOL if exist W:\Windows\System32\config\SYSTEM set OSVOL=W:
if not defined OSVOL if exist Y:\Windows\System32\config\SYSTEM set OSVOL=Y:
if not defined OSVOL if exist Z:\Windows\System32\config\SYSTEM set OSVOL=Z:
if not defined OSVOL echo Lifeline: no readable Windows volume (BitLocker-locked without a key, or none): SafeBoot\Network is not changed, only the boot configuration
if not defined OSVOL set RESULT=2
if defined OSVOL echo Lifeline: Windows volume %OSVOL%
if defined OSVOL reg load %HIVE% %OSVOL%\Windows\System32\config\SYSTEM >nul 2>&1 && set LOADED=1
if defined OSVOL if not defined LOADED echo Lifeline: reg load of %OSVOL%\Windows\System32\config\SYSTEM failed: SafeBoot\Network is not changed
if defined OSVOL if not defined LOADED set RESULT=2
if defined LOADED reg query %HIVE%\ControlSet001\Control >nul 2>&1 && set CS1=1
if defined LOADED reg query %HIVE%\ControlSet002\Control >nul 2>&1 && set CS2=1
if defined CS1 reg add %HIVE%\ControlSet001\Control\SafeBoot\Network\WinRM /ve /t REG_SZ /d Service /f >nul 2>&1 || set RESULT=2
if defined CS1 reg add %HIVE%\ControlSet001\Control\SafeBoot\Network\RpcSs /ve /t REG_SZ /d Service /f >nul 2>&1 || set RESULT=2
if defined CS1 reg add %HIVE%\ControlSet001\Control\SafeBoot\Network\HTTP /ve /t REG_SZ /d Service /f >nul 2>&1 || set RESULT=2
if defined CS1 reg add %HIVE%\ControlSet001\Control\SafeBoot\Network\BFE /ve /t REG_SZ /d Service /f >nul 2>&1 || set RESULT=2
if defined CS1 reg add %HIVE%\ControlSet001\Control\SafeBoot\Network\MpsSvc /ve /t REG_SZ /d Service /f >nul 2>&1 || set RESULT=2
if defined CS1 reg add %HIVE%\ControlSet001\Control\SafeBoot\Network\KeyIso /ve /t REG_SZ /d Service /f >nul 2>&1 || set RESULT=2
if defined CS1 reg add %HIVE%\ControlSet001\Control\SafeBoot\Network\nsi /ve /t REG_SZ /d Service /f >nul 2>&1 || set RESULT=2
if defined CS1 reg add %HIVE%\ControlSet001\Control\SafeBoot\Network\LanmanWorkstation /ve /t REG_SZ /d Service /f >nul 2>&1 || set RESULT=2
if defined CS1 reg add %HIVE%\ControlSet001\Control\SafeBoot\Network\Netlogon /ve /t REG_SZ /d Service /f >nul 2>&1 || set RESULT=2
if defined CS2 reg add %HIVE%\ControlSet002\Control\SafeBoot\Network\WinRM /ve /t REG_SZ /d Service /f >nul 2>&1 || set RESULT=2
if defined CS2 reg add %HIVE%\ControlSet002\Control\SafeBoot\Network\RpcSs /ve /t REG_SZ /d Service /f >nul 2>&1 || set RESULT=2
if defined CS2 reg add %HIVE%\ControlSet002\Control\SafeBoot\Network\HTTP /ve /t REG_SZ /d Service /f >nul 2>&1 || set RESULT=2
if defined CS2 reg add %HIVE%\ControlSet002\Control\SafeBoot\Network\BFE /ve /t REG_SZ /d Service /f >nul 2>&1 || set RESULT=2
if defined CS2 reg add %HIVE%\ControlSet002\Control\SafeBoot\Network\MpsSvc /ve /t REG_SZ /d Service /f >nul 2>&1 || set RESULT=2
if defined CS2 reg add %HIVE%\ControlSet002\Control\SafeBoot\Network\KeyIso /ve /t REG_SZ /d Service /f >nul 2>&1 || set RESULT=2
if defined CS2 reg add %HIVE%\ControlSet002\Control\SafeBoot\Network\nsi /ve /t REG_SZ /d Service /f >nul 2>&1 || set RESULT=2
if defined CS2 reg add %HIVE%\ControlSet002\Control\SafeBoot\Network\LanmanWorkstation /ve /t REG_SZ /d Service /f >nul 2>&1 || set RESULT=2
if defined CS2 reg add %HIVE%\ControlSet002\Control\SafeBoot\Network\Netlogon /ve /t REG_SZ /d Service /f >nul 2>&1 || set RESULT=2
if defined LOADED if %RESULT%==0 echo Lifeline: WinRM, RpcSs, HTTP, BFE, MpsSvc, KeyIso, nsi, LanmanWorkstation, Netlogon listed under Control\SafeBoot\Network
if defined LOADED reg unload %HIVE% >nul 2>&1
bcdedit /set {default} safeboot network >nul 2>&1 || set RESULT=1
if %RESULT%==1 echo Lifeline: bcdedit could not set safeboot network on the Windows loader: the host restarts as before
if not %RESULT%==1 echo Lifeline: safeboot network set on the Windows loader
if %RESULT%==2 echo Lifeline: WinRM answers in Safe Mode with Networking only if the host was prepared before
wpeutil reboot
exit /b %RESULT%
