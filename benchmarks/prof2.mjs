import { compileDetectors } from '@genops/core';
const B='ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
let s=1;const r=()=>{s=(s*1103515245+12345)%2147483648;return s/2147483648};
const mk=(n)=>{let parts=[],len=0;while(len<n){let w='';const k=20+Math.floor(r()*40);for(let i=0;i<k;i++)w+=B[Math.floor(r()*64)];parts.push(w+' ');len+=k+1}return parts.join('')};
const d=compileDetectors({detect:[process.argv[2]||'secret']});
for (const mb of [0.5,1,2]) { const t=mk(mb*1048576); const c=process.cpuUsage(); const f=d.find(t); const u=process.cpuUsage(c); console.log(mb,'MB', f.length, ((u.user+u.system)/1000/mb).toFixed(0),'cpu ms/MB'); }
