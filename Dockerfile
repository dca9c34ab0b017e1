# syntax=docker/dockerfile:1
# ConsentService container image.
#   docker build -t consentservice:0.1.0 .
#   docker run --read-only --tmpfs /tmp -v consent-data:/data -p 8080:8080 consentservice:0.1.0
# The image runs as a numeric non-root user and writes only to /data (the SQLite store) and /tmp;
# the root filesystem may be mounted read-only (the Helm chart does so).

ARG DOTNET_VERSION=10.0

# ---- build stage: restore (cached layer), then publish ----
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1 \
    DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Only the files restore reads: this layer is rebuilt when a project or a package version changes, not on every source edit.
COPY Directory.Build.props Directory.Packages.props ./
COPY src/ConsentService.Domain/ConsentService.Domain.csproj src/ConsentService.Domain/
COPY src/ConsentService.Application/ConsentService.Application.csproj src/ConsentService.Application/
COPY src/ConsentService.Infrastructure/ConsentService.Infrastructure.csproj src/ConsentService.Infrastructure/
COPY src/ConsentService.Api/ConsentService.Api.csproj src/ConsentService.Api/
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    dotnet restore src/ConsentService.Api/ConsentService.Api.csproj

COPY src/ src/
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    dotnet publish src/ConsentService.Api/ConsentService.Api.csproj \
      -c Release --no-restore -o /app /p:UseAppHost=false

# ---- runtime stage: ASP.NET Core runtime only, no SDK, no sources ----
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime
ARG APP_UID=10001

# /data is the one writable application path (mount a volume there); the app files stay root-owned and read-only.
RUN mkdir -p /data \
 && chown ${APP_UID}:${APP_UID} /data \
 && chmod 0750 /data

WORKDIR /app
COPY --from=build /app ./

# DOTNET_EnableDiagnostics=0: no diagnostic IPC socket or perf map files, so nothing is written under /tmp by the runtime.
# HOME=/tmp: anything that insists on a home folder gets the (emptyDir or tmpfs) /tmp, not the read-only root.
ENV ASPNETCORE_URLS=http://+:8080 \
    ASPNETCORE_ENVIRONMENT=Production \
    DOTNET_EnableDiagnostics=0 \
    DOTNET_RUNNING_IN_CONTAINER=true \
    HOME=/tmp \
    Storage__Provider=Sqlite \
    Storage__Sqlite__Path=/data/consents.db

USER ${APP_UID}:${APP_UID}
EXPOSE 8080
ENTRYPOINT ["dotnet", "ConsentService.Api.dll"]
