import { compileDetectors } from '@genops/core';
const d=compileDetectors({detect:[process.argv[2]]});
const t=process.argv[3]==='groups'?'1234 '.repeat(400000):'x';
const c=process.cpuUsage(); d.find(t); const u=process.cpuUsage(c); console.log(((u.user+u.system)/1000/(t.length/1048576)).toFixed(0),'cpu ms/MB');
