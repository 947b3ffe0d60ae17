/*
 * dlog_int -- what the delivery log's two writers share (lib/dlog.c: one
 * event; lib/dlog_batch.c: a batch).
 */
#ifndef OUTPOST_DLOG_INT_H
#define OUTPOST_DLOG_INT_H

/*
 * rt(k, lo, h, f): lo the lowest hour rt:WHO keeps -- raised to lo when
 * lower, the fields of the hours below deleted (their names, or every
 * field after a long gap) -- then each f = {NAME, N} added to "NAME:h"
 * unless h is below the key's lo.  Shared by both scripts.
 */
#define DLOG_LUA_RT \
    "local function rt(k, lo, h, f)\n" \
    "  local cur = tonumber(redis.call('HGET', k, 'lo'))\n" \
    "  if cur == nil or cur < lo then\n" \
    "    if cur ~= nil and lo - cur > 400 then\n" \
    "      for _, n in ipairs(redis.call('HKEYS', k)) do\n" \
    "        local x = tonumber(string.match(n, ':(%d+)$'))\n" \
    "        if x and x < lo then redis.call('HDEL', k, n) end\n" \
    "      end\n" \
    "    elseif cur ~= nil then\n" \
    "      for x = cur, lo - 1 do\n" \
    "        redis.call('HDEL', k, 'attempts:' .. x, 'hard:' .. x,\n" \
    "          'delivered:' .. x, 'complaint:' .. x)\n" \
    "      end\n" \
    "    end\n" \
    "    redis.call('HSET', k, 'lo', lo); cur = lo\n" \
    "  end\n" \
    "  if h < cur then return end\n" \
    "  for _, p in ipairs(f) do\n" \
    "    redis.call('HINCRBY', k, p[1] .. ':' .. h, p[2])\n" \
    "  end\n" \
    "end\n"

#endif
