using TradeMaster.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddTradeMasterSilo();
builder.AddTradeMasterSiloTelemetry();
builder.AddTradeMasterSiloHealth();
builder.AddTradeMasterSiloDashboardListener();

var app = builder.Build();
app.MapTradeMasterSiloHealth();
app.MapTradeMasterSiloDashboard();
app.Run();
