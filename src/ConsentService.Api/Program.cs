using ConsentService.Api;

var builder = WebApplication.CreateBuilder(args);
builder.AddConsentService();
var app = builder.Build();
app.UseConsentService();
app.Run();

/// <summary>The entry point; public so integration tests can host it with WebApplicationFactory.</summary>
public partial class Program;
