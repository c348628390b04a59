-- wrk script: Healthchecks' ping URLs (SPEC §13), no API key. Each request pings one of the
-- monitors of HEARTBEAT_HC_FILE, a file of lines that are each a path to ping
-- ("/ping/<uuid>" or "/ping/<ping_key>/<slug>"). As bench/ping.lua: requests formatted
-- once per thread, no response() hook; bench/run.sh fails on any answer that is not 2xx.
local file = os.getenv("HEARTBEAT_HC_FILE")
local requests = {}

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed)
  for path in io.lines(file) do
    requests[#requests + 1] = wrk.format("GET", path)
  end
end

function request()
  return requests[math.random(1, #requests)]
end
