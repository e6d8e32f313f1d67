@echo off
REM Nightly copy of the machine logs to the maintenance share
robocopy C:\MachineLogs \\fs01\maintenance\logs\%COMPUTERNAME% /E /R:1 /W:1
