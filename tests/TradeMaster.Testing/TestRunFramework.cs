using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace TradeMaster.Testing;

/// <summary>
/// xunit's own test framework with one step added: after the assembly's last test, before the run is reported
/// finished, the test run's PostgreSQL (<see cref="PostgresServer"/>) is stopped and its directory deleted.
/// <para>
/// A process-exit handler alone is too late under <c>dotnet test</c>: once the results are in, the test platform asks
/// the test host to stop and kills it 100 ms later (<c>VSTEST_TESTHOST_SHUTDOWN_TIMEOUT</c>), and a
/// <c>pg_ctl stop</c> takes longer. The Silo tests' server outlived every run, and a developer's <c>/tmp</c> had
/// gathered 63 data directories. Each test project that references this one registers it (<c>TestRun.cs</c>).
/// </para>
/// </summary>
public sealed class TestRunFramework(IMessageSink diagnosticMessageSink) : XunitTestFramework(diagnosticMessageSink)
{
    public const string TypeName = "TradeMaster.Testing.TestRunFramework";

    public const string AssemblyName = "TradeMaster.Testing";

    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new Executor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Executor(AssemblyName assemblyName, ISourceInformationProvider sourceInformationProvider, IMessageSink diagnosticMessageSink)
        : XunitTestFrameworkExecutor(assemblyName, sourceInformationProvider, diagnosticMessageSink)
    {
        // The same as xunit's, with the runner below.
        protected override async void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        {
            using var runner = new Runner(TestAssembly, testCases, DiagnosticMessageSink, executionMessageSink, executionOptions);
            await runner.RunAsync();
        }
    }

    private sealed class Runner(
        ITestAssembly testAssembly, IEnumerable<IXunitTestCase> testCases, IMessageSink diagnosticMessageSink,
        IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        : XunitTestAssemblyRunner(testAssembly, testCases, diagnosticMessageSink, executionMessageSink, executionOptions)
    {
        protected override async Task BeforeTestAssemblyFinishedAsync()
        {
            await base.BeforeTestAssemblyFinishedAsync();
            // Through the aggregator, as xunit runs its own cleanup: a failure is reported as the assembly's cleanup
            // failure instead of ending the process.
            await Aggregator.RunAsync(PostgresServer.StopAsync);
        }
    }
}
