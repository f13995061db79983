using TradeMaster.Gateway;

// The distributed mode's gateway: an Orleans client of the silos, serving the store REST API.
// The embedded mode hosts the same AddTradeMasterGateway/MapTradeMasterGateway next to a co-hosted silo instead.
var builder = WebApplication.CreateBuilder(args);

builder.AddTradeMasterOrleansClient();
builder.AddTradeMasterGateway();

var app = builder.Build();

app.MapTradeMasterGateway();

app.Run();
