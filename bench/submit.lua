-- wrk script: durable opinion submissions (PLAT-21) through POST /api/v1/opinions with a write
-- token (BENCH_TOKEN; an entry by staff, so no per-address limit). Every body differs (place,
-- topic, a number), so none is taken for a repeat. Prints one RESULT line like random.lua.
local token = os.getenv("BENCH_TOKEN") or ""
local counter = 0
local places = {"城关街道", "密州街道", "龙都街道", "舜王街道", "枳沟镇", "贾悦镇", "石桥子镇", "相州镇", "昌城镇", "百尺河镇"}
local topics = {
  {"城乡建设", "小区楼道灯坏了很久没人修，晚上上下楼很不安全"},
  {"环境保护", "河边有人倾倒建筑垃圾，下雨后污水流进河道"},
  {"交通运输", "学校门口早晚高峰车辆乱停，孩子过马路很危险"},
  {"教育文体", "村里文化广场的健身器材损坏，希望尽快更换"},
  {"卫生健康", "社区卫生服务站下午经常没有医生坐诊"},
  {"劳动和社会保障", "企业拖欠农民工工资三个月，多次讨要没有结果"},
  {"农业农村", "农田灌溉渠堵塞，春灌用水困难"},
  {"商贸旅游", "菜市场有商贩缺斤短两，希望加强检查"},
}

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter * 7919 + os.time())
end

function init(args)
  math.randomseed(seed or os.time())
end

function request()
  local t = topics[math.random(#topics)]
  local place = places[math.random(#places)]
  local body = string.format(
    '{"title":"%s%s","content":"%s%s号附近：%s，编号%d。","category":"%s","allow_public":false}',
    place, string.sub(t[2], 1, 18), place, math.random(1, 999), t[2], math.random(1, 1000000000), t[1])
  return wrk.format("POST", "/api/v1/opinions", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT kind=submit requests=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, errors))
end
