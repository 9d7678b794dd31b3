import { parsePolicy, PolicyEngine } from '@genops/core';
const rules=[];for(let i=0;i<10000;i++){ if(i%2===0) rules.push({name:`deny-${i}`,type:'model',deny:[`model-${i}`]}); else rules.push({name:`team-${i}`,type:'tokens',when:{team:`team-${i}`},maxOutput:10}); }
const text=JSON.stringify({version:1,rules});
const yaml = 'version: 1\nrules:\n' + rules.map(r=>`  - ${JSON.stringify(r)}`).join('\n') + '\n';
for (const [fmt,t] of [['json',text],['yaml',yaml]]) {
let c=process.cpuUsage(); const doc=parsePolicy(t,{format:fmt}); let u=process.cpuUsage(c); console.log(fmt,'parse',(u.user+u.system)/1000,'ms');
c=process.cpuUsage(); const e=new PolicyEngine(doc); u=process.cpuUsage(c); console.log('engine',(u.user+u.system)/1000,'ms');
const input={request:{provider:'openai',model:'gpt-4o',operation:'chat',estimatedInputTokens:1},attribution:{team:'eng'},outputBound:100,worstCaseMicros:0,now:Date.now()};
c=process.cpuUsage(); for(let i=0;i<10000;i++) e.evaluate(input); u=process.cpuUsage(c); console.log('evaluate',((u.user+u.system)/10000).toFixed(1),'us/call');
}
