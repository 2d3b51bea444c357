@echo off
rem Wireshark on Windows runs extcaps as executables; this one hands over to Node.
node "%~dp0kdscope-extcap.mjs" %*
