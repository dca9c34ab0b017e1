-- wrk script for `make bench`: POST /api/v1/decisions with a bearer token, rotating through seeded studies.
-- usage: wrk -t2 -c64 -d10s --latency -s bench/decide.lua URL -- STUDIES_FILE TOKEN [ACTOR]
-- done() prints one JSON line (prefixed {"wrk":1,...) that bench/run.sh keeps for the report.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local file, token, actor = args[1], args[2], args[3] or "Organization/acme-ai"
  local headers = { ["Content-Type"] = "application/json" }
  if token ~= nil and token ~= "" then headers["Authorization"] = "Bearer " .. token end
  requests = {}
  for line in io.lines(file) do
    if line ~= "" then
      local body = '{"study":"' .. line .. '","actor":"' .. actor .. '"}'
      table.insert(requests, wrk.format("POST", "/api/v1/decisions", headers, body))
    end
  end
  if #requests == 0 then error("no studies in " .. file) end
  -- Threads start at different points of the list so they do not ask about the same study in step.
  counter = (id or 0) * math.floor(#requests / 2)
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

function done(summary, latency, _)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    '{"wrk":1,"requests":%d,"duration_us":%d,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"non2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
