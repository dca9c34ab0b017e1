using ConsentService.Api;

// Configuration is read at start and validated (options with ValidateOnStart); it is not reloaded on file change:
// the watcher that reloading needs reads every file event under the content root, which costs CPU on every
// SQLite write when the database lives there (seen as ~4% of CPU under decision load).
var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
builder.AddConsentService();
var app = builder.Build();
app.UseConsentService();
app.Run();

/// <summary>The entry point; public so integration tests can host it with WebApplicationFactory.</summary>
public partial class Program;
