#!/usr/bin/env python3
import sys, re, collections
# Summarises `jfr print --events jdk.ExecutionSample --stack-depth 64 X.jfr > X.txt`: python3 bench/jfr-top.py X.txt [N] [regex]
# Parse `jfr print --events jdk.ExecutionSample --stack-depth N` output: top (self) frames and inclusive frames.
self_c = collections.Counter(); incl = collections.Counter(); threads = collections.Counter(); n = 0
stack = None; thread = None
for line in open(sys.argv[1]):
    s = line.strip()
    if s.startswith('jdk.ExecutionSample'):
        stack = []; thread = None
    elif s.startswith('sampledThread'):
        thread = s.split('=',1)[1].strip().strip('"').split('"')[0]
    elif s.startswith('stackTrace = ['):
        pass
    elif stack is not None and re.match(r'^[\w$.<>/]+\(.*\)\s+line:', s):
        stack.append(re.sub(r'\s+line:.*', '', s))
    elif s == ']' and stack is not None and stack:
        n += 1; self_c[stack[0]] += 1; threads[re.sub(r'[-#]?\d+$', '', thread or '?')] += 1
        for f in set(stack): incl[f] += 1
        stack = None
k = int(sys.argv[2]) if len(sys.argv) > 2 else 25
filt = sys.argv[3] if len(sys.argv) > 3 else None
print(f"samples: {n}")
print("threads:", ', '.join(f"{t} {c*100//n}%" for t, c in threads.most_common(8)))
print("-- self (top frame)")
for f, c in self_c.most_common(k): print(f"{c*100.0/n:5.1f}% {f}")
print("-- inclusive" + (f" matching {filt}" if filt else ""))
for f, c in incl.most_common(2000):
    if filt and not re.search(filt, f): continue
    print(f"{c*100.0/n:5.1f}% {f}"); k -= 1
    if k == 0: break
