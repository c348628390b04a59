-- wrk script: each request pings a slug drawn from a pool of 100,000 (keep-alive).
-- The API key comes from the environment: HEARTBEAT_KEY. With HEARTBEAT_BODY_BYTES > 0 the
-- pings are POSTs carrying a body of that many bytes (kept in the monitor's history).
--
-- wrk runs on the same cores as the server, so the script keeps its own cost down: the
-- requests are formatted once per thread in init(), and there is no response() hook
-- (calling Lua for every response costs wrk more CPU than the request itself). wrk
-- counts the responses that are not 2xx, and bench/run.sh fails when there are any.
local key = os.getenv("HEARTBEAT_KEY") or ""
local pool = tonumber(os.getenv("HEARTBEAT_SLUGS") or "100000")
local body_bytes = tonumber(os.getenv("HEARTBEAT_BODY_BYTES") or "0")
local headers = { ["Authorization"] = "Bearer " .. key }
local requests = {}

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed)
  local body = body_bytes > 0 and string.rep("x", body_bytes - 1) .. "\n" or nil
  for i = 1, pool do
    requests[i] = wrk.format(body and "POST" or "GET", "/heartbeat/job-" .. i, headers, body)
  end
end

function request()
  return requests[math.random(1, pool)]
end
