using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using TradeMaster.Sink;
using TradeMaster.Sink.Batching;
using TradeMaster.Sink.Lake;
using TradeMaster.Sink.Receiving;
using TradeMaster.Sink.Validation;

namespace Microsoft.Extensions.DependencyInjection;

public static class SinkServiceCollectionExtensions
{
    public const string GcsHttpClientName = "TradeMaster.Sink.Gcs";

    /// <summary>
    /// Registers the sink: options (section <c>Sink</c>), validator, batcher + lake writer (Sink:Writer local|gcs),
    /// PostgreSQL dedupe (ConnectionStrings:TradeMaster), metrics, and the in-process subscriber, which drains an
    /// <see cref="TradeMaster.Contracts.Events.InProcessEventBus"/> singleton when the host registered one.
    /// </summary>
    public static IServiceCollection AddTradeMasterSink(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SinkOptions>()
            .Configure(o =>
            {
                // The rental policy is the ledger's; the sink checks events against the same numbers.
                o.Validation.MinRentalDays = configuration.GetValue("Ledger:MinRentalDays", o.Validation.MinRentalDays);
                o.Validation.MaxRentalDays = configuration.GetValue("Ledger:MaxRentalDays", o.Validation.MaxRentalDays);
                configuration.GetSection(SinkOptions.SectionName).Bind(o);
            })
            .Validate(o => o.Batch.MaxEvents > 0 && o.Batch.MaxAge > TimeSpan.Zero && o.Batch.MaxIdle > TimeSpan.Zero && o.Batch.IdleMinEvents > 0,
                "Sink:Batch:MaxEvents, Sink:Batch:MaxAge, Sink:Batch:MaxIdle and Sink:Batch:IdleMinEvents must be positive.")
            .Validate(o => o.Writer is "local" or "gcs", "Sink:Writer must be 'local' or 'gcs'.")
            .Validate(o => o.Writer != "gcs" || !string.IsNullOrWhiteSpace(o.Gcs.Bucket), "Sink:Gcs:Bucket is required when Sink:Writer is 'gcs'.")
            .ValidateOnStart();

        services.AddMetrics();
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SinkMetrics>();
        services.TryAddSingleton(_ => new ContractSchemas());
        services.TryAddSingleton<EventValidator>();
        services.TryAddSingleton(_ => new DaprAppToken(configuration["APP_API_TOKEN"]));

        services.TryAddSingleton(_ =>
        {
            var connectionString = configuration.GetConnectionString("TradeMaster")
                ?? throw new InvalidOperationException("The sink needs ConnectionStrings:TradeMaster (event id dedupe).");
            return new EventClaims(NpgsqlDataSource.Create(connectionString));
        });

        services.AddHttpClient(GcsHttpClientName);
        services.TryAddSingleton<ILakeWriter>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<SinkOptions>>().Value;
            if (options.Writer == "local") return new LocalLakeWriter(options.LocalPath);
            var emulator = configuration["STORAGE_EMULATOR_HOST"];
            var settings = new GcsWriterSettings(GcsWriterSettings.ResolveBaseUri(emulator), options.Gcs.Bucket!, options.Gcs.Prefix,
                options.Gcs.MaxAttempts, options.Gcs.InitialBackoff, options.Gcs.RequestTimeout);
            IGcsAccessTokenSource tokens = string.IsNullOrWhiteSpace(emulator) ? new ApplicationDefaultTokenSource() : new NoTokenSource();
            return new GcsLakeWriter(sp.GetRequiredService<IHttpClientFactory>().CreateClient(GcsHttpClientName), settings, tokens,
                sp.GetRequiredService<TimeProvider>());
        });

        services.TryAddSingleton(sp => new LakeBatcher(
            sp.GetRequiredService<ILakeWriter>(), sp.GetRequiredService<EventClaims>(), sp.GetRequiredService<IOptions<SinkOptions>>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<SinkMetrics>(), sp.GetRequiredService<ILogger<LakeBatcher>>()));
        services.AddHostedService(sp => sp.GetRequiredService<LakeBatcher>());
        services.TryAddSingleton<RowArena>();
        services.TryAddSingleton<SinkHandler>();
        services.AddHostedService<InProcessSinkService>();
        services.AddTransient<IStartupFilter, RawCloudEventStartupFilter>();
        return services;
    }
}
