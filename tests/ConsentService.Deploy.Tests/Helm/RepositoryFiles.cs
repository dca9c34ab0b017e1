namespace ConsentService.Deploy.Tests.Helm;

/// <summary>Files of the repository, found from the test's output folder upwards (the folder holding ConsentService.sln).</summary>
public static class RepositoryFiles
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(folder.FullName, "ConsentService.sln")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException("ConsentService.sln not found above " + AppContext.BaseDirectory);
    });

    public static string Path(string relative) => System.IO.Path.Combine(Root.Value, relative);

    public static string Read(string relative) => File.ReadAllText(Path(relative));
}
