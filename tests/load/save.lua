-- wrk: section saves as the page's autosave sends them (form body, Accept: application/json).
-- Run with as many threads as connections: each thread is one saver with one connection, saving
-- its own draft response (RESPONSES, one id per thread) one request at a time with the version
-- the previous reply gave, so no save conflicts with another. A 409 (someone else saved) would
-- resynchronise the version and is counted; anything else but 200 is a failure.

local responses = {}
for id in string.gmatch(os.getenv("RESPONSES") or "", "[^,]+") do
  responses[#responses + 1] = id
end
local threads = {}

function setup(thread)
  local n = #threads + 1
  if responses[n] == nil then
    error("fewer responses in RESPONSES than wrk threads")
  end
  thread:set("response_id", responses[n])
  threads[n] = thread
end

local function urlencode(text)
  return (string.gsub(text, "[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

function init(args)
  version = 0
  saved = 0
  conflicts = 0
  failures = 0
  sent = 0
  last_failure = ""
  path = "/responses/" .. response_id .. "/sections/legal"
  token = urlencode(os.getenv("CSRF") or "")
  headers = {
    ["Cookie"] = os.getenv("COOKIE"),
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json",
  }
end

function request()
  sent = sent + 1
  local body = "csrf_token=" .. token .. "&version=" .. version
    .. "&action=save&_items=legal.mandate&v.legal.mandate=" .. (sent % 5)
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  local v = tonumber(string.match(body or "", '"version"%s*:%s*(%d+)'))
  if status == 200 and v then
    saved = saved + 1
    version = v
  elseif status == 409 and v then
    conflicts = conflicts + 1
    version = v
  else
    failures = failures + 1
    last_failure = status .. " " .. string.sub(string.gsub(body or "", "%s+", " "), 1, 160)
  end
end

function done(summary, latency, requests)
  local s, c, f = 0, 0, 0
  for _, thread in ipairs(threads) do
    s = s + thread:get("saved")
    c = c + thread:get("conflicts")
    f = f + thread:get("failures")
  end
  io.write(string.format("saves: %d saved, %d version conflicts, %d failures\n", s, c, f))
  for _, thread in ipairs(threads) do
    local failure = thread:get("last_failure")
    if failure ~= nil and failure ~= "" then
      io.write("a failed save: " .. failure .. "\n")
      break
    end
  end
end
