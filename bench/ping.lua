-- wrk script: each request pings a slug drawn from a pool of 100,000 (keep-alive).
-- The API key comes from the environment: HEARTBEAT_KEY.
local key = os.getenv("HEARTBEAT_KEY") or ""
local pool = tonumber(os.getenv("HEARTBEAT_SLUGS") or "100000")
local headers = { ["Authorization"] = "Bearer " .. key }

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed)
end

function request()
  return wrk.format("GET", "/heartbeat/job-" .. math.random(1, pool), headers)
end

function response(status, headers, body)
  if status ~= 200 then
    wrk.thread:stop()
  end
end
