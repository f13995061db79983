// The sink as its own service (distributed mode): Dapr delivers the transactions topic, Pub/Sub may push.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddTradeMasterSink(builder.Configuration);
builder.AddTradeMasterSinkTelemetry();

var app = builder.Build();
app.UseCloudEvents();
app.MapSubscribeHandler().RequireDaprAppToken();
app.MapTradeMasterSink();
app.MapGet("/healthz", () => Results.Ok());
app.Run();
