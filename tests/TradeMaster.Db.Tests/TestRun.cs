// After the last test, TradeMaster.Testing stops the run's PostgreSQL before dotnet test kills the process.
[assembly: Xunit.TestFramework(TradeMaster.Testing.TestRunFramework.TypeName, TradeMaster.Testing.TestRunFramework.AssemblyName)]
